/** persistence commands. */
import type { CommandSpec } from './spec';

export const commands: CommandSpec[] = [];
