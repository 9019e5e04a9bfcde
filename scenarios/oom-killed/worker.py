"""A report worker that loads a whole export into memory before processing it."""
import time

print("report-worker 1.4 starting", flush=True)
print("loading export orders-2024.csv into memory", flush=True)
rows = []
for batch in range(1000):
    # 4 MiB per batch, really touched (not just reserved): resident memory grows
    rows.append(bytearray(b"x" * (4 * 1024 * 1024)))
    if batch % 4 == 0:
        print(f"loaded {len(rows) * 4} MiB", flush=True)
    time.sleep(0.01)
print("export loaded, processing", flush=True)
