/*
 * Independent layout check for the Windows backend: reads and writes generic credentials exactly the way Python
 * keyring's WinVaultKeyring does (keyring/backends/Windows.py), written against wincred.h, built with
 * x86_64-w64-mingw32-gcc and run under Wine by tests/windows/wincred_test.ts.
 *   pykeyring_layout read SERVICE ACCOUNT    value (UTF-8) on stdout; exit 1 when there is none
 *   pykeyring_layout write SERVICE ACCOUNT   value (UTF-8) from stdin, stored the Python keyring way
 *   pykeyring_layout dump TARGET             "type=T persist=P user=U blob=N" of one credential; exit 1 if none
 */
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include <windows.h>
#include <wincred.h>

static void print_utf8(const wchar_t *text, int units) {
  int size = WideCharToMultiByte(CP_UTF8, 0, text, units, NULL, 0, NULL, NULL);
  char *out = malloc(size + 1);
  WideCharToMultiByte(CP_UTF8, 0, text, units, out, size, NULL, NULL);
  fwrite(out, 1, size, stdout);
  free(out);
}

/* Python keyring _resolve_credential: `service` if its UserName is the account, else "{account}@{service}". */
static PCREDENTIALW resolve(const wchar_t *service, const wchar_t *account) {
  PCREDENTIALW credential = NULL;
  if (CredReadW(service, CRED_TYPE_GENERIC, 0, &credential)) {
    if (credential->UserName && wcscmp(credential->UserName, account) == 0) return credential;
    CredFree(credential);
  }
  wchar_t compound[1024];
  swprintf(compound, 1024, L"%ls@%ls", account, service);
  if (CredReadW(compound, CRED_TYPE_GENERIC, 0, &credential)) return credential;
  return NULL;
}

static BOOL write_one(const wchar_t *target, const wchar_t *user, const BYTE *blob, DWORD size) {
  CREDENTIALW credential = {0};
  credential.Type = CRED_TYPE_GENERIC;
  credential.TargetName = (LPWSTR)target;
  credential.UserName = (LPWSTR)user;
  credential.CredentialBlob = (LPBYTE)blob;
  credential.CredentialBlobSize = size;
  credential.Persist = CRED_PERSIST_ENTERPRISE;
  return CredWriteW(&credential, 0);
}

int wmain(int argc, wchar_t **argv) {
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stdin), _O_BINARY);
  if (argc == 4 && wcscmp(argv[1], L"read") == 0) {
    PCREDENTIALW credential = resolve(argv[2], argv[3]);
    if (!credential) return 1;
    print_utf8((const wchar_t *)credential->CredentialBlob, credential->CredentialBlobSize / 2);
    CredFree(credential);
    return 0;
  }
  if (argc == 4 && wcscmp(argv[1], L"write") == 0) {
    static char input[65536];
    size_t length = fread(input, 1, sizeof input, stdin);
    int units = MultiByteToWideChar(CP_UTF8, 0, input, (int)length, NULL, 0);
    wchar_t *value = malloc((units + 1) * sizeof(wchar_t));
    MultiByteToWideChar(CP_UTF8, 0, input, (int)length, value, units);
    /* Python's set_password: an existing `service` credential is re-saved under "{its user}@{service}" first. */
    PCREDENTIALW existing = NULL;
    if (CredReadW(argv[2], CRED_TYPE_GENERIC, 0, &existing)) {
      wchar_t compound[1024];
      swprintf(compound, 1024, L"%ls@%ls", existing->UserName, argv[2]);
      write_one(compound, existing->UserName, existing->CredentialBlob, existing->CredentialBlobSize);
      CredFree(existing);
    }
    BOOL ok = write_one(argv[2], argv[3], (const BYTE *)value, units * sizeof(wchar_t));
    free(value);
    return ok ? 0 : 2;
  }
  if (argc == 3 && wcscmp(argv[1], L"dump") == 0) {
    PCREDENTIALW credential = NULL;
    if (!CredReadW(argv[2], CRED_TYPE_GENERIC, 0, &credential)) return 1;
    printf("type=%lu persist=%lu user=", credential->Type, credential->Persist);
    if (credential->UserName) print_utf8(credential->UserName, (int)wcslen(credential->UserName));
    printf(" blob=%lu\n", credential->CredentialBlobSize);
    CredFree(credential);
    return 0;
  }
  fwprintf(stderr, L"usage: pykeyring_layout read|write SERVICE ACCOUNT | dump TARGET\n");
  return 2;
}
