/**
 * Jest runs the TypeScript sources as ESM (see the `test` script's --experimental-vm-modules).
 * Suites under test/timing compare times measured at different moments, which a loaded machine
 * skews: `npm test` runs them after the others, alone (DRILLBOT_TIMING_TESTS=1, --runInBand).
 */
const timing = process.env.DRILLBOT_TIMING_TESTS === '1';

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: timing ? ['<rootDir>/test/timing'] : ['<rootDir>/src', '<rootDir>/test'],
  testPathIgnorePatterns: timing ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/test/timing/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testTimeout: 60000,
};
