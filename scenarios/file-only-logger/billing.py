"""A billing job that logs only to a file, as many legacy apps do."""
import logging
import sys

logging.basicConfig(
    filename="/var/log/app/app.err",
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
log = logging.getLogger("billing")


def load_rates(path):
    with open(path) as f:
        return dict(line.split("=", 1) for line in f)


def main():
    log.info("billing run starting")
    try:
        rates = load_rates("/etc/billing/rates.conf")
    except Exception:
        log.exception("cannot load rates")
        return 3
    log.info("loaded %d rates", len(rates))
    return 0


if __name__ == "__main__":
    sys.exit(main())
