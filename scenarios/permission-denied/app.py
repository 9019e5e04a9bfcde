"""An upload service that checks at start-up that its storage directory is writable."""
import os

STORE = "/srv/uploads"
print(f"uploads 1.0 starting as uid {os.getuid()}", flush=True)
print(f"checking storage {STORE}", flush=True)
with open(os.path.join(STORE, ".write-test"), "w") as f:
    f.write("ok")
print("storage ok, listening on :9000", flush=True)
