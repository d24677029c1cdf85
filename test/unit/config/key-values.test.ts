import { describe, expect, it } from 'vitest';
import { parseKeyValueList } from '../../../src/config/key-values';

describe('parseKeyValueList', () => {
  it('decodes keys and values, trims, skips blanks, and reports malformed and badly encoded entries as written', () => {
    expect(parseKeyValueList(' a = 1 ,b=x%2Cy,, c==2 ,=v,novalue,bad=%zz,%zz=1,d=')).toEqual({
      values: { a: '1', b: 'x,y', c: '=2', d: '' },
      malformed: ['=v', 'novalue'],
      badEncoding: ['bad=%zz', '%zz=1'],
    });
  });
});
