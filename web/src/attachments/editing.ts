/** Which message is being edited in place (one at a time, in the open room). */
import { createStore } from 'zustand/vanilla';

export const editingStore = createStore<{ id: string | null; set: (id: string | null) => void }>((set) => ({
  id: null,
  set: (id) => set({ id }),
}));
