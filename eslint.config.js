import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly'
      }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}
      ],
      'no-console': 'off'
    }
  },
  {
    // CommonJS on purpose: a require() inside a function is how the bundle defers evaluating a module.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {require: 'readonly', exports: 'writable'}
    },
    rules: {'@typescript-eslint/no-require-imports': 'off'}
  },
  {
    // Tests assert on the wire format: untyped JSON is the point there.
    files: ['__tests__/**/*.ts'],
    rules: {'@typescript-eslint/no-explicit-any': 'off'}
  }
)
