const { PGlite } = require("@electric-sql/pglite");
const fs = require("fs");
(async () => {
  const file = fs.readdirSync("node_modules/.cache/app-rollout-pglite").find(f => f.endsWith(".tar"));
  const tpl = new Blob([fs.readFileSync("node_modules/.cache/app-rollout-pglite/" + file)]);
  for (let i = 0; i < 4; i++) {
    let t = Date.now(); let c = process.cpuUsage();
    const db = await PGlite.create({ loadDataDir: tpl });
    const a = Date.now() - t; const ac = process.cpuUsage(c);
    t = Date.now(); c = process.cpuUsage();
    await db.query("select 1");
    const b = Date.now() - t;
    t = Date.now(); c = process.cpuUsage();
    await db.close();
    const cc = process.cpuUsage(c);
    console.log(i, "create", a, ((ac.user + ac.system) / 1000).toFixed(0), "query", b, "close", Date.now() - t, ((cc.user + cc.system) / 1000).toFixed(0));
  }
})();
