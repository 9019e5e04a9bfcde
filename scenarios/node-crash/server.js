// An API gateway that loads its routing table at start-up. Version 0.9 renamed the file's
// "routes" key to "upstreams"; the routes.json shipped in the image still says "routes".
const fs = require("fs/promises");
const http = require("http");

async function loadRoutes(file) {
  const config = JSON.parse(await fs.readFile(file, "utf8"));
  const table = config.upstreams.map((r) => [r.path, new URL(r.upstream)]);
  return { listen: config.listen, table: new Map(table) };
}

async function start() {
  console.log("gateway 0.9.1 starting");
  const { listen, table } = await loadRoutes("/app/routes.json");
  console.log(`loaded ${table.size} routes`);
  http.createServer((req, res) => res.end("ok\n")).listen(listen);
}

start(); // no .catch(): a rejection here is unhandled and ends the process
