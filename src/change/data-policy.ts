/**
 * ServiceNow's data policy names the fields it wants by their form labels ("Data Policy Exception:
 * The following fields are mandatory: Assignment group", as a 403 over REST). A pipeline author
 * knows this action's inputs, not the form: name the input that sets each field, or how to pass a
 * field no input sets.
 */

/** change_request's form labels (base system) → the input that sets the field. */
const INPUT_FOR_LABEL: Record<string, string> = {
  'assignment group': 'assignment_group',
  'configuration item': 'cmdb_ci',
  'short description': 'short_description',
  description: 'description',
  'implementation plan': 'implementation_plan',
  'backout plan': 'backout_plan',
  'test plan': 'test_plan',
  justification: 'justification',
  'planned start date': 'start_date',
  'planned end date': 'end_date',
  risk: 'risk',
  impact: 'impact',
  'close code': 'close_code',
  'close notes': 'close_notes',
  parent: 'parent_change'
}

// Labels run to the end of ServiceNow's sentence: a step may have wrapped the message in its own.
const MANDATORY = /The following fields are mandatory:\s*([^.\n]+)/

/** The mandatory fields' labels in a data policy refusal, or undefined for any other text. */
export function mandatoryLabels(text: string): string[] | undefined {
  const found = MANDATORY.exec(text)
  if (found === null) return undefined
  const labels = (found[1] ?? '')
    .split(',')
    .map(l => l.trim())
    .filter(l => l !== '')
  return labels.length === 0 ? undefined : labels
}

/** How to give each field a data policy asks for, in one sentence; undefined when it is no data policy refusal. */
export function dataPolicyAdvice(text: string): string | undefined {
  const labels = mandatoryLabels(text)
  if (labels === undefined) return undefined
  const parts = labels.map(label => {
    const input = INPUT_FOR_LABEL[label.toLowerCase()]
    return input === undefined
      ? `${label} (no input sets it: pass it in \`fields\`, e.g. \`fields: "${fieldName(label)}: …"\`)`
      : `${label}: set the \`${input}\` input`
  })
  return `The instance's data policy requires ${parts.join('; ')}.`
}

/** A label's likely field name (Category → category): a hint in the advice, not a guarantee. */
function fieldName(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
}
