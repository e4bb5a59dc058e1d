/**
 * GET /__sim/approvals: the simulator's approval page. A person sees every
 * change request with its state, approval and approvers, approves or rejects
 * a pending approval (a rejection needs a comment, as on an instance), and
 * watches the state move. It uses only the admin endpoints: GET /__sim/changes
 * every second, POST /__sim/changes/<number>/approve|reject.
 *
 * Values are written with textContent, never as HTML: short descriptions come
 * from pipelines and must not become markup.
 */
export const APPROVAL_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Change approvals · ServiceNow simulator</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2433; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  p.hint { color: #5a6478; margin: 0 0 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #dde2ea; vertical-align: top; }
  th { background: #f3f5f8; font-weight: 600; }
  tr.focus { background: #fff8e1; }
  .state, .approval { font-weight: 600; }
  .approval[data-value="approved"] { color: #1a7f37; }
  .approval[data-value="rejected"] { color: #cf222e; }
  .approval[data-value="requested"] { color: #9a6700; }
  ul { margin: 0; padding-left: 1rem; }
  form { display: flex; gap: .4rem; margin: .3rem 0 .5rem; flex-wrap: wrap; }
  input[type=text] { min-width: 16rem; padding: .25rem .4rem; }
  button { padding: .25rem .7rem; cursor: pointer; }
  button.approve { background: #1a7f37; color: white; border: 1px solid #116329; border-radius: 4px; }
  button.reject { background: #cf222e; color: white; border: 1px solid #a40e26; border-radius: 4px; }
  .error { color: #cf222e; }
  #empty { color: #5a6478; }
</style>
</head>
<body>
<h1>Change approvals</h1>
<p class="hint">ServiceNow simulator. Approve or reject the pending approvals; a rejection needs a comment. The list refreshes every second.
  <label><input type="checkbox" id="auto"> approve new requests automatically</label></p>
<p id="message" class="error" role="alert"></p>
<table>
  <thead><tr><th>Number</th><th>Short description</th><th>Type</th><th>State</th><th>Approval</th><th>Approvers</th></tr></thead>
  <tbody id="changes"></tbody>
</table>
<p id="empty" hidden>No change requests yet.</p>
<script>
const focus = new URLSearchParams(location.search).get('change')
const body = document.getElementById('changes')
const message = document.getElementById('message')
const auto = document.getElementById('auto')
let busy = false

function cell(row, text, className) {
  const td = row.insertCell()
  td.textContent = text ?? ''
  if (className) { td.className = className; td.dataset.value = text ?? '' }
  return td
}

function decisionForm(change, approver) {
  const form = document.createElement('form')
  form.dataset.approver = approver.user
  const comment = document.createElement('input')
  comment.type = 'text'
  comment.name = 'comments'
  comment.placeholder = 'Comment (required to reject)'
  comment.setAttribute('aria-label', 'Comment for ' + approver.approver)
  const approve = document.createElement('button')
  approve.type = 'submit'
  approve.className = 'approve'
  approve.textContent = 'Approve'
  approve.value = 'approve'
  const reject = document.createElement('button')
  reject.type = 'submit'
  reject.className = 'reject'
  reject.textContent = 'Reject'
  reject.value = 'reject'
  form.append(comment, approve, reject)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const action = event.submitter ? event.submitter.value : 'approve'
    busy = true
    try {
      const response = await fetch('/__sim/changes/' + encodeURIComponent(change.number) + '/' + action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ approver: approver.user, comments: comment.value })
      })
      const answer = await response.json()
      message.textContent = response.ok ? '' : (answer.error && answer.error.message) || ('HTTP ' + response.status)
      // Decided: the comment went with it, and the row may be redrawn.
      if (response.ok) { comment.value = ''; comment.blur() }
    } catch (error) {
      message.textContent = String(error)
    } finally {
      busy = false
      await refresh()
    }
  })
  return form
}

function render(changes) {
  // Keep what a person is typing: a refresh does not redraw a row whose comment box has text or focus.
  const typing = new Set([...body.querySelectorAll('input[name=comments]')].filter((i) => i.value !== '' || i === document.activeElement).map((i) => i.closest('tr').dataset.number))
  const rows = new Map([...body.rows].map((r) => [r.dataset.number, r]))
  document.getElementById('empty').hidden = changes.length > 0
  for (const change of changes.slice().reverse()) {
    if (typing.has(change.number) && rows.has(change.number)) {
      const row = rows.get(change.number)
      row.cells[3].textContent = change.state_label
      row.cells[4].textContent = change.approval
      row.cells[4].dataset.value = change.approval
      body.append(row)
      continue
    }
    const row = document.createElement('tr')
    row.dataset.number = change.number
    if (change.number === focus) row.className = 'focus'
    cell(row, change.number)
    cell(row, change.short_description)
    cell(row, change.type)
    cell(row, change.state_label, 'state')
    cell(row, change.approval, 'approval')
    const approvers = cell(row, '')
    const list = document.createElement('ul')
    for (const approver of change.approvers) {
      const item = document.createElement('li')
      item.textContent = approver.approver + ': ' + approver.state + (approver.comments ? ' — "' + approver.comments + '"' : '')
      if (approver.state === 'requested') item.append(decisionForm(change, approver))
      list.append(item)
    }
    approvers.append(list)
    const old = rows.get(change.number)
    if (old) old.replaceWith(row)
    body.append(row)
  }
}

async function refresh() {
  if (busy) return
  try {
    const [changes, config] = await Promise.all([fetch('/__sim/changes').then((r) => r.json()), fetch('/__sim/config').then((r) => r.json())])
    render(changes)
    auto.checked = config.approval.mode === 'auto'
  } catch (error) {
    message.textContent = 'The simulator is not answering: ' + error
  }
}

auto.addEventListener('change', async () => {
  await fetch('/__sim/config', { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ approval: { mode: auto.checked ? 'auto' : 'manual' } }) })
  await refresh()
})

refresh()
setInterval(refresh, 1000)
</script>
</body>
</html>
`
