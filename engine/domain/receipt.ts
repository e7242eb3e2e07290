/**
 * Receipt arithmetic, in integer minor units. Free of zod on purpose: the customer rules use it
 * inside workflow code, where every imported module is evaluated again for each workflow the
 * worker starts (schemas built per customer cost CPU and about a megabyte each).
 */

/** What a line contributes to the receipt: quantity × unit price − line discount. */
export function lineNet(line: { quantity: number; unitPrice: number; discount: number }): number {
  return line.quantity * line.unitPrice - line.discount;
}
