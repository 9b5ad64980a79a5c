// Profiling only (npm run bench): a process killed with SIGTERM exits normally, so --cpu-prof writes its profile.
process.on("SIGTERM", () => process.exit(0));
