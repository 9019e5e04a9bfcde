"""A nightly importer that logs to a file (the ops team ships /var/log/importer/ elsewhere)."""
import logging
import os
import sys

os.makedirs("/var/log/importer", exist_ok=True)
logging.basicConfig(filename="/var/log/importer/importer.log", level=logging.INFO,
                    format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("importer")

log.info("importer 3.1 starting")
try:
    source = os.environ["IMPORT_SOURCE_URL"]
except KeyError:
    log.error("IMPORT_SOURCE_URL is not set: nothing to import from")
    sys.exit(2)
log.info("importing from %s", source)
