import type { Brain } from '../brain.js';
import { lastUserText, text } from '../brain-helpers.js';

/** Answers every request with the text of the last user message, unchanged. */
export const echoBrain: Brain = (request) => ({ content: [text(lastUserText(request))] });
