#!/usr/bin/env node
import { runAction } from '../dist/action/main.js';

// The entry of action.yml: the step's exit status is the review's (0 pass, 1 fail, 2 incomplete).
process.exitCode = await runAction();
