// The skip link moves the keyboard focus into the question box itself.
const skip = element.querySelector('.gb-skip');
if (skip) {
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    const box = document.querySelector('#gb-question textarea');
    if (box) { box.focus(); box.scrollIntoView({block: 'center'}); }
  });
}
