"""A queue worker that takes its broker URL from the environment."""
import os
import sys

print("worker 2.3 starting", flush=True)
queue_url = os.environ["QUEUE_URL"]  # nobody set it: KeyError at start-up
print(f"connecting to {queue_url}", flush=True)
sys.exit(0)
