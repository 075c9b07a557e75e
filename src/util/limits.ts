import { constants } from 'node:buffer';

/**
 * V8's longest string (536,870,888 characters on 64-bit), a little under Redis's 512 MB limit
 * for a string value: longer arguments and values are refused as if over proto-max-bulk-len,
 * since making one throws (RangeError) instead of failing one command.
 */
export const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

/**
 * The most elements one JS array grows to by appending (V8's FixedArray::kMaxLength, less a
 * margin): past it V8 aborts the process, not the command. A command's arguments, and a list
 * one command builds (SORT ... STORE), are refused beyond it.
 */
export const MAX_ARRAY_ELEMENTS = 2 ** 27 - 1024;
