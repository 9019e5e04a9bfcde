"""An order service that opens its database connection at start-up, with a few retries."""
import os
import socket
import sys
import time

host = os.environ.get("DB_HOST", "db")
port = int(os.environ.get("DB_PORT", "5432"))
print("orders-api 3.2 starting", flush=True)
for attempt in range(1, 4):
    print(f"connecting to database at {host}:{port} (attempt {attempt}/3)", flush=True)
    try:
        conn = socket.create_connection((host, port), timeout=5)
        break
    except ConnectionRefusedError as e:
        print(f"database not reachable: {e}", file=sys.stderr, flush=True)
        time.sleep(0.3)
else:
    print("giving up: database unavailable", file=sys.stderr, flush=True)
    raise ConnectionRefusedError(111, f"could not connect to {host}:{port}")
print("database connected", flush=True)
