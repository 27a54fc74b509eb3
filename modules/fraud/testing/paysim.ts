export const HEADER = 'step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud';
export const row = (step: number, type: string, amount: number, orig: string, dest: string, fraud: 0 | 1) => `${step},${type},${amount},${orig},0,0,${dest},0,0,${fraud},0`;

/** PaySim columns: 20 ordinary payments; 12 victims paying one new mule account; the mule cashing out. */
export function paysimSample(): string {
  const lines = [HEADER];
  for (let i = 0; i < 20; i++) lines.push(row(1, 'PAYMENT', 100, `C${i}`, `M${i}`, 0));
  for (let i = 1; i <= 12; i++) lines.push(row(2, 'TRANSFER', 1000, `V${i}`, 'CMULE', 1));
  lines.push(row(3, 'CASH_OUT', 12_000, 'CMULE', 'CASHPOINT', 1));
  return lines.join('\n');
}
