"""Entry point of the catalogue service."""
from config import load_settings

print("catalogue 1.8 starting", flush=True)
print("reading /app/settings.json", flush=True)
settings = load_settings("/app/settings.json")
print(f"listening on {settings['listen']}", flush=True)
