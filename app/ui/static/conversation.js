// js_on_load of the conversation: [n] links open the sources and jump (with a way back), the print
// button opens a print view, feedback and follow-ups go to the server through trigger('click', data).
element.addEventListener('click', (event) => {
  const jump = event.target.closest('a.gb-cite, a.gb-back');
  if (jump) {
    const id = jump.getAttribute('href').slice(1);
    const target = document.getElementById(id);
    if (!target) return;
    event.preventDefault();
    const details = target.closest('details');
    if (details) details.open = true;
    element.querySelectorAll('.gb-current').forEach((el) => el.classList.remove('gb-current'));
    target.classList.add('gb-current');
    target.scrollIntoView({block: 'center'});
    target.focus({preventScroll: true});
    history.replaceState(null, '', '#' + id);
    return;
  }
  const button = event.target.closest('[data-gb-action]');
  if (!button) return;
  const action = button.dataset.gbAction;
  const turn = button.dataset.turn || '';
  if (action === 'print') {
    const source = element.querySelector('textarea[data-print="' + turn + '"]');
    if (!source) return;
    const url = URL.createObjectURL(new Blob([source.value], {type: 'text/html'}));
    window.open(url, '_blank');
    return;
  }
  const box = element.querySelector('textarea[data-turn="' + turn + '"]');
  trigger('click', {action: action, turn: turn, comment: box ? box.value : '', question: button.dataset.q || ''});
});
