import { describe, expect, it } from '@jest/globals';
import { smsSegments } from './sms-segments.js';

describe(smsSegments.name, () => {
  describe('GSM-7', () => {
    it('should fit 160 basic characters in one segment', () => {
      expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
    });

    it('should split 161 characters into two parts of up to 153', () => {
      expect(smsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', segments: 2, units: 161 });
      expect(smsSegments('a'.repeat(306)).segments).toBe(2);
      expect(smsSegments('a'.repeat(307)).segments).toBe(3);
    });

    it('should count the whole basic table, accents and Greek capitals included, as one septet each', () => {
      const basic = '@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&\'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà \n\r';
      expect(smsSegments(basic)).toEqual({ encoding: 'GSM-7', segments: 1, units: basic.length });
    });

    it('should count € and the other extension characters as two septets', () => {
      expect(smsSegments('€')).toEqual({ encoding: 'GSM-7', segments: 1, units: 2 });
      expect(smsSegments('^{}\\[~]|€\f').units).toBe(20);
      expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, units: 160 });
      expect(smsSegments('a' + '€'.repeat(80)).segments).toBe(2);
    });

    it('should not split an escape pair across parts', () => {
      // 152 septets, then € (2) does not fit in the first part's 153: it starts the second one.
      const text = 'a'.repeat(152) + '€' + 'a'.repeat(151);
      expect(smsSegments(text)).toEqual({ encoding: 'GSM-7', segments: 2, units: 305 });
      expect(smsSegments(text + 'a').segments).toBe(3);
    });

    it('should report an empty text as no segment', () => {
      expect(smsSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, units: 0 });
    });
  });

  describe('UCS-2', () => {
    it('should switch to UCS-2 for one character outside GSM 03.38', () => {
      expect(smsSegments('Hello! 👍').encoding).toBe('UCS-2');
      expect(smsSegments('ç').encoding).toBe('UCS-2');
      expect(smsSegments('Привет').encoding).toBe('UCS-2');
    });

    it('should fit 70 code units in one segment and 67 per part beyond', () => {
      expect(smsSegments('é'.repeat(68) + '😀')).toEqual({ encoding: 'UCS-2', segments: 1, units: 70 });
      expect(smsSegments('ж'.repeat(71))).toEqual({ encoding: 'UCS-2', segments: 2, units: 71 });
      expect(smsSegments('ж'.repeat(134)).segments).toBe(2);
      expect(smsSegments('ж'.repeat(135)).segments).toBe(3);
    });

    it('should count an emoji as two code units and make the whole text UCS-2', () => {
      const text = 'a'.repeat(69) + '😀';
      expect(smsSegments(text)).toEqual({ encoding: 'UCS-2', segments: 2, units: 71 });
    });

    it('should not split a surrogate pair across parts', () => {
      // 66 units, then a 2-unit emoji would straddle the 67-unit boundary: it moves to the next part.
      const text = 'ж'.repeat(66) + '😀' + 'ж'.repeat(65);
      expect(smsSegments(text)).toEqual({ encoding: 'UCS-2', segments: 2, units: 133 });
      expect(smsSegments(text + 'ж').segments).toBe(3);
      // The same 134 units without a pair at the boundary fit in two parts.
      expect(smsSegments('ж'.repeat(134)).segments).toBe(2);
    });
  });
});
