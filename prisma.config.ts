import { defineConfig } from 'prisma/config';

// Prisma 7 reads the datasource URL here, not from schema.prisma. `prisma generate` never connects,
// so a placeholder keeps it working without any environment; `prisma migrate deploy` needs DATABASE_URL.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/slotsmith',
  },
});
