/**
 * Is this process running as LocalSystem (SID S-1-5-18)? An MSI deferred custom action without impersonation,
 * Intune or SCCM run as LocalSystem: a credential written there lands in SYSTEM's store, not the user's.
 */

import { OutPointer } from "./_native.ts";

const ADVAPI32 = {
  // processthreadsapi.h: BOOL OpenProcessToken(HANDLE ProcessHandle, DWORD DesiredAccess, PHANDLE TokenHandle)
  OpenProcessToken: { parameters: ["pointer", "u32", "buffer"], result: "i32" },
  // securitybaseapi.h: BOOL GetTokenInformation(HANDLE TokenHandle, TOKEN_INFORMATION_CLASS TokenInformationClass,
  //   LPVOID TokenInformation, DWORD TokenInformationLength, PDWORD ReturnLength)
  GetTokenInformation: { parameters: ["pointer", "u32", "buffer", "u32", "buffer"], result: "i32" },
  // securitybaseapi.h: BOOL IsWellKnownSid(PSID pSid, WELL_KNOWN_SID_TYPE WellKnownSidType)
  IsWellKnownSid: { parameters: ["pointer", "u32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const KERNEL32 = {
  // processthreadsapi.h: HANDLE GetCurrentProcess(void) (a pseudo handle, never closed)
  GetCurrentProcess: { parameters: [], result: "pointer" },
  // handleapi.h: BOOL CloseHandle(HANDLE hObject)
  CloseHandle: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const TOKEN_QUERY = 0x0008; // winnt.h
const TOKEN_USER_CLASS = 1; // winnt.h: TOKEN_INFORMATION_CLASS.TokenUser
const WIN_LOCAL_SYSTEM_SID = 22; // winnt.h: WELL_KNOWN_SID_TYPE.WinLocalSystemSid

/** True for LocalSystem; false otherwise, and false when the token cannot be read (the keyring will tell). */
export function isLocalSystem(): boolean {
  const advapi32 = Deno.dlopen("advapi32.dll", ADVAPI32).symbols;
  const kernel32 = Deno.dlopen("kernel32.dll", KERNEL32).symbols;
  const handle = new OutPointer();
  if (advapi32.OpenProcessToken(kernel32.GetCurrentProcess(), TOKEN_QUERY, handle.buffer) === 0) return false;
  const token = handle.pointer;
  try {
    // TOKEN_USER (winnt.h) = SID_AND_ATTRIBUTES { PSID Sid @0; DWORD Attributes @8 }, followed by the SID itself.
    const buffer = new Uint8Array(256);
    const needed = new Uint32Array(1);
    if (
      advapi32.GetTokenInformation(token, TOKEN_USER_CLASS, buffer, buffer.length, new Uint8Array(needed.buffer)) ===
        0
    ) return false;
    const sid = Deno.UnsafePointer.create(new DataView(buffer.buffer).getBigUint64(0, true));
    return advapi32.IsWellKnownSid(sid, WIN_LOCAL_SYSTEM_SID) !== 0;
  } finally {
    kernel32.CloseHandle(token);
  }
}
