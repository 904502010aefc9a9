package main

import "github.com/spf13/cobra"

// addCommands registers the subcommands. Each lives in its own file.
func addCommands(a *app, root *cobra.Command) {
	root.AddCommand(
		newCollectCmd(a),
		newKeygenCmd(a),
		newVerifyCmd(a),
		newLsCmd(a),
		newExtractCmd(a),
		newProfilesCmd(a),
		newCustodyCmd(a),
		newReportCmd(a),
		newTimelineCmd(a),
		newShowCmd(a),
		newExportCmd(a),
		newProveCmd(a),
		newVerifyProofCmd(a),
		newDiffCmd(a),
		newTimestampCmd(a),
		newPushCmd(a),
	)
}
