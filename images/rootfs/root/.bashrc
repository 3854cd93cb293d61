# The prompt shows the node's name. It is read before every prompt, because the
# harness renames the node after it starts from a snapshot.
PROMPT_COMMAND='read -r NODE_NAME </proc/sys/kernel/hostname'
PS1='\[\e[1;32m\]root@${NODE_NAME}\[\e[0m\]:\w# '
alias ll='ls -l'
# A serial console has no size of its own; the terminal in the page sets it with stty.
shopt -s checkwinsize
