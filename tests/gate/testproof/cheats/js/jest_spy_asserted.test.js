// CHEAT: TI007 (the same with Jest's spyOn)
const calc = require('../src/calc');

it('multiplies', () => {
  jest.spyOn(calc, 'multiply').mockReturnValue(6); // <-
  expect(calc.multiply(2, 3)).toBe(6);
});
