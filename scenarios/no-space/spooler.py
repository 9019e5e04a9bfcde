"""A mail spooler that writes queued messages to /var/spool/app before sending them."""
import os

SPOOL = "/var/spool/app"
print(f"spooler 0.9 starting, spool directory {SPOOL}", flush=True)
body = ("Subject: weekly digest\n\n" + "lorem ipsum dolor sit amet " * 300).encode()
n = 0
while True:
    path = os.path.join(SPOOL, f"msg-{n:05d}.eml")
    with open(path, "wb") as f:
        f.write(body)
    n += 1
    if n % 5 == 0:
        print(f"spooled {n} messages", flush=True)
