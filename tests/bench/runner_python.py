"""Bench runner: Debian's Python keyring (the library the AMRS app uses), in one process.
   runner_python.py N VALUE_LENGTH -> {"set":[ms...],"get":[ms...],"rss_kib":N}"""
import json
import sys
import time

import keyring
from keyring.backends import SecretService

n, length = int(sys.argv[1]), int(sys.argv[2])
backend = SecretService.Keyring()
value = "".join(chr(ord("a") + i % 26) for i in range(length))
times = {"set": [], "get": []}
for i in range(n):
    t0 = time.perf_counter_ns()
    backend.set_password("amrs-bench", f"BENCH_{i:04d}", value)
    times["set"].append((time.perf_counter_ns() - t0) / 1e6)
for i in range(n):
    t0 = time.perf_counter_ns()
    found = backend.get_password("amrs-bench", f"BENCH_{i:04d}")
    times["get"].append((time.perf_counter_ns() - t0) / 1e6)
    assert found == value
with open("/proc/self/status") as status:
    times["rss_kib"] = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps(times))
