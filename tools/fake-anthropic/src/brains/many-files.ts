import type { Brain } from '../brain.js';
import { conversationText, lastUserText, passingTest, text, toolUse } from '../brain-helpers.js';

export interface ManyFilesOptions {
  /** How many files the task makes and then reads, one a turn. */
  files: number;
  /** Bytes of each file. */
  bytes: number;
}

const SUMMARY_ASKED = /summary of your progress/i;
const READ_SO_FAR = /Files read so far: ([^\n]*)/g;

export const fileName = (n: number) => `data/f${n}.txt`;

/**
 * A long task that fills the context: it makes `files` files of `bytes` each with one
 * command, reads them one a turn, then finishes. Asked for a summary of its progress (a
 * compaction), it lists the files made and read, and goes on from that summary alone, so
 * it survives its conversation being compacted as a model would.
 */
export function manyFilesBrain({ files, bytes }: ManyFilesOptions): Brain {
  const make = `mkdir -p data && for i in $(seq 1 ${files}); do yes "line of file $i: the quick brown fox jumps over the lazy dog" | head -c ${bytes} > data/f$i.txt; done`;
  return (request) => {
    const said = conversationText(request);
    const read = new Set<string>();
    for (const match of said.matchAll(/read_file \{"path":"([^"]+)"/g)) read.add(match[1]!);
    for (const match of said.matchAll(READ_SO_FAR))
      for (const path of match[1]!.split(', ').filter(Boolean)) read.add(path);
    // Tool calls are in the conversation as JSON, the command's quotes escaped.
    const made = said.includes(JSON.stringify(make)) || said.includes('The files are made.');
    if (SUMMARY_ASKED.test(lastUserText(request))) {
      return {
        content: [
          text(
            `${made ? 'The files are made.' : 'No files yet.'}\nFiles read so far: ${[...read].join(', ')}`,
          ),
        ],
      };
    }
    if (!made) {
      return {
        content: [
          text(`Making ${files} files of ${bytes} bytes.`),
          toolUse('write_file', {
            path: 'package.json',
            content: '{"scripts":{"test":"node --test"}}',
          }),
          // The worker passes a run only when a test ran.
          passingTest('many-files'),
          toolUse('run_command', { command: make }),
        ],
      };
    }
    for (let n = 1; n <= files; n++) {
      if (!read.has(fileName(n))) return { content: [toolUse('read_file', { path: fileName(n) })] };
    }
    return { content: [toolUse('finish', { summary: `Read all ${files} files.` })] };
  };
}
