import { FALSE_REPORT_RULE } from '../config/categories.ts';

export type FlagReason = 'false_reports_device' | 'false_reports_phone';

/**
 * Whether a new report is flagged for the operator: its device or phone has had `threshold` or more reports
 * marked false within the rule's window. Flagged reports are delivered like any other — never dropped.
 */
export function abuseFlag(
  falseCounts: { device: number; phone: number },
  rule: { threshold: number } = FALSE_REPORT_RULE,
): { flagged: boolean; reason: FlagReason | null } {
  if (falseCounts.device >= rule.threshold) return { flagged: true, reason: 'false_reports_device' };
  if (falseCounts.phone >= rule.threshold) return { flagged: true, reason: 'false_reports_phone' };
  return { flagged: false, reason: null };
}
