// Public API of the oracle (docs/semantics.md, packing.md, frame.md, formats.md).
export * from './types.js';
export { round } from './rounding.js';
export { roundRational } from './rational.js';
export * as ops from './ops.js';
export { wrap32, binop } from './ops.js';
export { evalChain, evalTiled, tileChain, lastStore, type EvalOptions } from './eval.js';
export { evalChainFast, qScale1, rsr1, roundMagnitude, matmulInto, prepareMatmul } from './fast.js';
export {
  ValidationError, validateCase, checkCase, itemRange, I32_MIN, I32_MAX, U32_MAX,
  type ChainInput, type ValidateOptions,
} from './validate.js';
export { readCase, parseCase, writeCase, FORMAT } from './case.js';
export {
  OPSET, OP_NAMES, TAGS, TAG_COUNT, OP_TAGS, OP_CELLS, tagName, opTag, opSpec,
  type OpSpec, type FieldSpec, type WordSpec, type TagInfo,
} from './opset.js';
export { caseSchema } from './schema.js';
export {
  packedFormat, packedI8K4, panelLen, packedLen, offset, pack, unpack,
  type PackedLayout, type Side,
} from './packing.js';
export { SELF_PROPERTIES, runSelfProperty, assertSelfProperty, type SelfProperty, type RunOptions } from './selftest.js';
