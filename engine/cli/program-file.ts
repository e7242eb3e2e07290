/** A program file for a command: read and checked, or the command exits 2 naming each mistake. */
import { ProgramError } from '../domain/loyalty/program-schema.ts';
import { type LoadedProgram, loadProgramFile, ProgramFileError } from '../programs/load-program.ts';

export async function programFileOrExit(file: string): Promise<LoadedProgram> {
  try {
    return await loadProgramFile(file);
  } catch (err) {
    if (err instanceof ProgramError || err instanceof ProgramFileError) {
      process.stderr.write(`clientele: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
