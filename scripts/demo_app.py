"""The demo "app": reads its secrets the way the AMRS Python back end does, with Debian's Python keyring.
Prints only whether each secret is there and a short fingerprint, never a value."""
import hashlib
import sys

import keyring

service = sys.argv[1]
print(f"demo app: reading secrets with {type(keyring.get_keyring()).__name__} from service '{service}'")
missing = 0
for name in ["BOOTSTRAP_SECRET_TOKEN", "DB_PASSWORD", "API_KEY"]:
    value = keyring.get_password(service, name)
    if value is None:
        missing += 1
        print(f"  {name}: MISSING")
    else:
        print(f"  {name}: present (sha256:{hashlib.sha256(value.encode()).hexdigest()[:12]})")
sys.exit(1 if missing else 0)
