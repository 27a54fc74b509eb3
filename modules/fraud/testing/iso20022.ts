/** A pacs.008.001.10 with one credit transfer, in the shape of Tazama's TMS samples (XML form). */
export function pacs008(o: { msgId?: string; e2e?: string; amount?: string; ccy?: string; debtor?: string; debtorPhone?: string; creditor?: string; nb?: string; omit?: string; region?: string } = {}): string {
  const el = (name: string, body: string) => (o.omit === name ? '' : body);
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.10">
  <FIToFICstmrCdtTrf>
    <GrpHdr>
      ${el('MsgId', `<MsgId>${o.msgId ?? 'MSG-1'}</MsgId>`)}
      <CreDtTm>2026-11-24T10:00:00.000Z</CreDtTm>
      <NbOfTxs>${o.nb ?? '1'}</NbOfTxs>
      <SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf>
    </GrpHdr>
    <CdtTrfTxInf>
      <PmtId><InstrId>I-1</InstrId>${el('EndToEndId', `<EndToEndId>${o.e2e ?? 'E2E-1'}</EndToEndId>`)}</PmtId>
      ${el('IntrBkSttlmAmt', `<IntrBkSttlmAmt Ccy="${o.ccy ?? 'KZT'}">${o.amount ?? '25000.00'}</IntrBkSttlmAmt>`)}
      <ChrgBr>DEBT</ChrgBr>
      <Dbtr><Nm>Айгерим С.</Nm>${o.region ? `<PstlAdr><CtrySubDvsn>${o.region}</CtrySubDvsn><Ctry>KZ</Ctry></PstlAdr>` : ''}<CtctDtls><MobNb>${o.debtorPhone ?? '+7-7011234567'}</MobNb></CtctDtls></Dbtr>
      ${el('DbtrAcct', `<DbtrAcct><Id><IBAN>${o.debtor ?? 'KZ86125KZT5004100100'}</IBAN></Id></DbtrAcct>`)}
      <DbtrAgt><FinInstnId><BICFI>HSBKKZKX</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>KCJBKZKX</BICFI></FinInstnId></CdtrAgt>
      <Cdtr><Nm>Recipient</Nm></Cdtr>
      <CdtrAcct><Id><IBAN>${o.creditor ?? 'KZ75125KZT2069100100'}</IBAN></Id></CdtrAcct>
    </CdtTrfTxInf>
  </FIToFICstmrCdtTrf>
</Document>`;
}
