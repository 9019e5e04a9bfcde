"""A reporting job that appends to /app/app.log."""
import sys

print("report job 1.4 starting", flush=True)
with open("/app/app.log", "a") as log:
    log.write("report job started\n")
sys.exit(0)
