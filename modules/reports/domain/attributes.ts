import type { FieldError } from '../../../packages/kernel/src/errors.ts';
import type { Category } from '../config/categories.ts';

const NUMBER = /^-?\d+(\.\d+)?$/;
export const MAX_ATTRIBUTE_LENGTH = 1000;

/**
 * Checks answers to a category's Open311 attributes: known codes only, list answers among the listed keys,
 * numbers as numbers, required ones present. `path` builds each error's path (`body.attributes.injured`,
 * `attribute[injured]`).
 */
export function validateAttributes(category: Category, answers: Record<string, string>, path: (code: string) => string): FieldError[] {
  const errors: FieldError[] = [];
  const byCode = new Map(category.attributes.map((a) => [a.code, a]));
  for (const [code, value] of Object.entries(answers)) {
    const attr = byCode.get(code);
    if (!attr) {
      errors.push({ path: path(code), code: 'unrecognized_key' });
      continue;
    }
    if (value.length > MAX_ATTRIBUTE_LENGTH) errors.push({ path: path(code), code: 'too_big', params: { maximum: String(MAX_ATTRIBUTE_LENGTH) } });
    else if (attr.datatype === 'singlevaluelist' && !attr.values?.some((v) => v.key === value)) errors.push({ path: path(code), code: 'invalid_value' });
    else if (attr.datatype === 'number' && !NUMBER.test(value.trim())) errors.push({ path: path(code), code: 'invalid_type', params: { expected: 'number' } });
  }
  for (const attr of category.attributes) {
    if (attr.required && !(attr.code in answers)) errors.push({ path: path(attr.code), code: 'required' });
  }
  return errors;
}
