// An API gateway that loads its routing table at start-up.
const fs = require("fs/promises");
const http = require("http");

async function loadRoutes(file) {
  const text = await fs.readFile(file, "utf8");
  return JSON.parse(text); // a trailing comma in the file: SyntaxError
}

async function start() {
  console.log("gateway 0.9.1 starting");
  const config = await loadRoutes("/app/routes.json");
  console.log(`loaded ${config.routes.length} routes`);
  http.createServer((req, res) => res.end("ok\n")).listen(config.listen);
}

start(); // no .catch(): a rejection here is unhandled and ends the process
