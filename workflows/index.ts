/** Every workflow the worker serves; the bundler starts here. */
export { customerWorkflow } from './customer/workflow.ts';
