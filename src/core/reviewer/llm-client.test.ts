import { DEFAULT_CONFIG } from '../config.js';
import { DEFAULT_MODEL, llmClientFromEnvironment } from './llm-client.js';

describe('llmClientFromEnvironment', () => {
  const reviewer = DEFAULT_CONFIG.reviewer;

  it('configures no model without a key or an endpoint', () => {
    expect(llmClientFromEnvironment(reviewer, {})).toBeNull();
  });

  it('takes the key from OPENAI_API_KEY and the model from config, then OPENAI_MODEL, then the default', () => {
    expect(llmClientFromEnvironment(reviewer, { OPENAI_API_KEY: 'sk-test' })?.model).toBe(DEFAULT_MODEL);
    expect(llmClientFromEnvironment(reviewer, { OPENAI_API_KEY: 'sk-test', OPENAI_MODEL: 'gpt-x' })?.model).toBe('gpt-x');
    expect(llmClientFromEnvironment({ ...reviewer, model: 'from-config' }, { OPENAI_API_KEY: 'sk-test', OPENAI_MODEL: 'gpt-x' })?.model).toBe('from-config');
  });

  it('configures a keyless local server by its base URL (Ollama, vLLM)', () => {
    expect(llmClientFromEnvironment(reviewer, { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' })).not.toBeNull();
    expect(llmClientFromEnvironment({ ...reviewer, baseUrl: 'http://127.0.0.1:8000/v1' }, {})).not.toBeNull();
  });

  it('is off when reviewer.enabled is false', () => {
    expect(llmClientFromEnvironment({ ...reviewer, enabled: false }, { OPENAI_API_KEY: 'sk-test' })).toBeNull();
  });
});
