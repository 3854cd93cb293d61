// Label selectors as apimachinery's labels package and metav1.LabelSelectorAsSelector treat
// them (k8s.io/apimachinery/pkg/labels/selector_test.go and pkg/apis/meta/v1/helpers_test.go
// hold the cases these follow).
import { describe, expect, it } from 'vitest';
import { labelSelector, selectorMatcher, selectorString, setMatcher, SelectorError } from '../../../src/kube/selectors.js';

describe('label selector strings (-l)', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['', { a: '1' }, true],
    ['x=a', { x: 'a' }, true],
    ['x=a', { x: 'b' }, false],
    ['x==a', { x: 'a' }, true],
    ['x!=a', { x: 'b' }, true],
    ['x!=a', {}, true], // != matches an object without the key
    ['x', { x: '' }, true],
    ['!x', { y: '1' }, true],
    ['!x', { x: '1' }, false],
    ['x in (a,b)', { x: 'b' }, true],
    ['x in (a,b)', {}, false],
    ['x notin (a,b)', {}, true],
    ['x notin (a,b)', { x: 'a' }, false],
    ['x=a,y in (c, d),!z', { x: 'a', y: 'd' }, true],
    ['x=a,y in (c, d),!z', { x: 'a', y: 'd', z: '' }, false],
    ['app.kubernetes.io/name=web', { 'app.kubernetes.io/name': 'web' }, true],
  ];
  it.each(cases)('%j against %j is %s', (selector, labels, expected) => {
    expect(labelSelector(selector)(labels)).toBe(expected);
  });

  it('refuses what it cannot parse', () => {
    expect(() => labelSelector('x=(a')).toThrow(SelectorError);
  });
});

describe('metav1.LabelSelector', () => {
  it('null matches nothing, {} matches everything', () => {
    expect(selectorMatcher(null)({ a: '1' })).toBe(false);
    expect(selectorMatcher(undefined)({})).toBe(false);
    expect(selectorMatcher({})({ a: '1' })).toBe(true);
    expect(selectorMatcher({})(undefined)).toBe(true);
  });

  it('matchLabels and matchExpressions are ANDed', () => {
    const m = selectorMatcher({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }, { key: 'canary', operator: 'DoesNotExist' }] });
    expect(m({ app: 'web', tier: 'edge' })).toBe(true);
    expect(m({ app: 'web', tier: 'back' })).toBe(false);
    expect(m({ app: 'web', tier: 'front', canary: 'true' })).toBe(false);
    expect(m({ tier: 'front' })).toBe(false);
  });

  it('NotIn and DoesNotExist match an object without the key; Exists needs it', () => {
    expect(selectorMatcher({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] })({})).toBe(true);
    expect(selectorMatcher({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] })({ env: 'prod' })).toBe(false);
    expect(selectorMatcher({ matchExpressions: [{ key: 'env', operator: 'Exists' }] })({ env: '' })).toBe(true);
    expect(selectorMatcher({ matchExpressions: [{ key: 'env', operator: 'Exists' }] })({})).toBe(false);
  });

  it('refuses In without values, Exists with values, and unknown operators, as upstream', () => {
    expect(() => selectorMatcher({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(/values set can't be empty/);
    expect(() => selectorMatcher({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toThrow(/must be empty/);
    expect(() => selectorMatcher({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })).toThrow(/not a valid label selector operator/);
  });

  it('prints as LabelSelectorAsSelector().String(): sorted by key', () => {
    expect(selectorString({ matchLabels: { tier: 'front', app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['qa', 'dev'] }, { key: 'canary', operator: 'DoesNotExist' }] }))
      .toBe('app=web,!canary,env notin (dev,qa),tier=front');
  });

  it('a Service selector (a map): every pair; an empty one selects nothing', () => {
    expect(setMatcher({ app: 'web' })({ app: 'web', x: '1' })).toBe(true);
    expect(setMatcher({ app: 'web', tier: 'a' })({ app: 'web' })).toBe(false);
    expect(setMatcher({})({ app: 'web' })).toBe(false);
    expect(setMatcher(undefined)({})).toBe(false);
  });
});
