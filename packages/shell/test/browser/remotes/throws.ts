import { defineRemote } from '@gatehouse/remote';

export const remote = defineRemote({
  mount(element) {
    element.textContent = 'half-rendered';
    throw new Error('mount failed on purpose');
  },
  unmount(element) {
    element.replaceChildren();
  },
});
