/** Every workflow the worker serves; the bundler starts here. */
export { customerWorkflow } from './customer/workflow.ts';
export { mergeWorkflow } from './merge/workflow.ts';
export { poolWorkflow } from './pool/workflow.ts';
