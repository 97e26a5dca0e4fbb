"""Bench peer: the 'equivalent Python keyring script' for a first sync. Enrolls with the bootstrap token (read
from stdin), fetches /v1/secrets, and stores every secret with Debian's Python keyring, as an installer script
written by hand would.   python_sync.py SERVER_URL SERVICE  < token"""
import json
import sys
import urllib.request

import keyring
from keyring.backends import SecretService

server, service = sys.argv[1], sys.argv[2]
token = sys.stdin.read().strip()
backend = SecretService.Keyring()


def call(method, path, credential, body=None):
    request = urllib.request.Request(
        server + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + credential, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


device = call("POST", "/v1/enroll", token, {"device_id": "bench", "hostname": "bench", "platform": "linux",
                                            "client_version": "python"})["device_token"]
backend.set_password(service, "_amrs.device", device)
secrets = call("GET", "/v1/secrets", device)["secrets"]
for name, value in secrets.items():
    backend.set_password(service, name, value)
print(len(secrets))
