// Package architecture holds no code: its tests hold the shape of the program.
//
//   - Imports point one way (TestImportDirection): clinic ← engines ← store ← use cases ←
//     web surfaces ← server ← app ← cli. A package not yet placed in a layer fails the test,
//     so each new package is placed on purpose.
//   - Every write goes through a use case (TestStoreWritesOnlyFromUseCases): outside an
//     allowlist (the use-case packages, the store and its test fixtures, and the seeders of
//     synthetic data), no package calls a method of *store.Tx that writes. The portal, sync,
//     inbound SMS and messaging packages to come are held to the same rule.
package architecture
