"""Test helper: Debian's Python keyring (the library the AMRS app uses) and SecretStorage, driven over stdin.

Reads one JSON request on stdin (values travel there, never in argv) and prints one JSON answer:
  {"op": "get"|"set"|"delete", "service": S, "name": N, "value": V}  -> {"value": ...} / {"ok": true}
  {"op": "items", "service": S, "name": N}   -> {"items": [{"attributes": {...}, "label": L, "locked": B}]}
  {"op": "create", "service": S, "name": N, "value": V} -> {"ok": true}  (a new item beside any existing one)
  {"op": "lock"}                              -> {"locked": true}   (locks the default collection)
  {"op": "backend"}                           -> {"backends": [...]}  (what keyring chose, best first)
"""
import json
import sys

import keyring
import keyring.errors

request = json.load(sys.stdin)
op = request["op"]

if op == "backend":
    chosen = keyring.get_keyring()
    backends = getattr(chosen, "backends", [chosen])  # the chainer holds the usable backends, best first
    print(json.dumps({"backends": [type(b).__module__ for b in backends]}))
elif op == "get":
    print(json.dumps({"value": keyring.get_password(request["service"], request["name"])}))
elif op == "set":
    keyring.set_password(request["service"], request["name"], request["value"])
    print(json.dumps({"ok": True}))
elif op == "delete":
    try:
        keyring.delete_password(request["service"], request["name"])
        print(json.dumps({"ok": True}))
    except keyring.errors.PasswordDeleteError:
        print(json.dumps({"ok": False}))
elif op in ("items", "lock", "create"):
    import secretstorage

    connection = secretstorage.dbus_init()
    if op == "create":
        collection = secretstorage.get_default_collection(connection)
        attributes = {"service": request["service"], "username": request["name"], "origin": "another tool"}
        collection.create_item("another tool's copy", attributes, request["value"].encode(), replace=False)
        print(json.dumps({"ok": True}))
    elif op == "lock":
        collection = secretstorage.get_default_collection(connection)
        collection.lock()
        print(json.dumps({"locked": collection.is_locked()}))
    else:
        query = {"service": request["service"], "username": request["name"]}
        items = [
            {
                "attributes": item.get_attributes(),
                "label": item.get_label(),
                "locked": item.is_locked(),
                "modified": item.get_modified(),
            }
            for item in secretstorage.search_items(connection, query)
        ]
        print(json.dumps({"items": items}))
else:
    sys.exit("unknown op " + op)
