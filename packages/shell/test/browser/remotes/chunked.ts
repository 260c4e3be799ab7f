// A remote split in two modules: the chunk must be pinned by the manifest's `modules` too.
import { defineRemote } from '@gatehouse/remote';

export const remote = defineRemote({
  async mount(element) {
    const { label } = await import('./chunk.js');
    element.textContent = label;
  },
  unmount(element) {
    element.replaceChildren();
  },
});
