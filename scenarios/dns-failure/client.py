"""An order service that opens its database connection at start-up."""
import os
import socket

host = os.environ.get("DB_HOST", "db")
port = int(os.environ.get("DB_PORT", "5432"))
print("orders-api 3.2 starting", flush=True)
print(f"connecting to database at {host}:{port}", flush=True)
conn = socket.create_connection((host, port), timeout=5)
print("database connected", flush=True)
