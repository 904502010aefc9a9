// Package deploy holds no code: it is where the fleet tooling (the Ansible
// role and playbook in deploy/ansible, the Velociraptor artifact in
// deploy/velociraptor) is tested against the real hozen binary. See
// docs/fleet.md.
package deploy
