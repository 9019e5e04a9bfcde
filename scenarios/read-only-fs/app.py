"""A small web app that pre-renders its templates into a cache directory at start-up."""
import os

CACHE = "/var/cache/webapp"
print("webapp 2.1 starting", flush=True)
print(f"warming template cache in {CACHE}", flush=True)
os.makedirs(CACHE, exist_ok=True)
with open(os.path.join(CACHE, "index.html"), "w") as f:
    f.write("<html>rendered</html>")
print("cache ready, listening on :8080", flush=True)
